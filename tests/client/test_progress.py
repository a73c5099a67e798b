"""The progress line: done, rate, and an ETA from the total or from the share of work done."""

import io

from registry_client.progress import Progress


def line(**kwargs) -> Progress:
    bar = Progress("checking", unit="rows", stream=io.StringIO(), **kwargs)
    bar.started -= 10  # ten seconds in
    return bar


def test_an_eta_from_the_total():
    bar = line(total=1000)
    bar.update(250)
    assert bar.line() == (
        "checking: [######..................]  25.0% 250 rows of 1,000 rows, 25 rows/s, ETA 0:30"
    )


def test_an_eta_from_the_share_read_of_a_streamed_input():
    bar = line()
    bar.update(20_000, share=0.2)
    assert bar.line() == (
        "checking: [####....................]  20.0% 20,000 rows, 2,000 rows/s, ETA 0:40"
    )


def test_without_either_the_time_elapsed():
    bar = line()
    bar.update(20_000)
    assert bar.line() == "checking: 20,000 rows, 2,000 rows/s, 0:10 elapsed"
    bar.close()
    assert bar.stream.getvalue().rstrip().endswith("0:10 elapsed")
    assert bar.stream.getvalue().endswith("\n")
