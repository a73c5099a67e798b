"""Date formats for English: every date and time the site and the review desks print without a
format of their own reads to the second, in 24-hour time, so who registered or answered first is
never unclear."""
