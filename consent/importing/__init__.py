"""Bulk import of a catalogue from a CSV file: parse, validate every row, then register all at once.

The website's import page and the `import_catalogue` command both call `import_catalogue`, so a
file is judged the same way wherever it comes from. Nothing is written unless every row is valid:
an artist fixing a spreadsheet wants the complete list of problems in one go, and a half-imported
catalogue would be worse than none.

The file format (also shown on the import page, from `COLUMNS`):

- UTF-8 text (a leading byte order mark, as spreadsheets write it, is fine), or Windows-1252
  when the file is not valid UTF-8 (Excel's “CSV (comma delimited)”); comma separated, a
  semicolon or tab works too when the header row uses it.
- Line 1 is a header naming the columns, in any order. Names ignore case, and `-`, `_` and spaces
  in them are interchangeable (`Train AI`, `train_ai` and `train-ai` are the same column).
  Columns this import does not know are refused rather than silently ignored.
- `title` is required, and so is an `isrc` or an `iswc` column (or both). Every row needs a title
  and at least one of the two identifiers: they are how a track is found again, so importing the
  same file twice is caught instead of registering every track a second time.
- Line numbers are those a spreadsheet shows: the header is line 1, blank lines count but are
  otherwise ignored, and a cell that spans several lines inside quotes still belongs to one line.

The import runs in stages, one module each, every one importing only the stages before it:

- `consent.importing.columns`: the format itself (its columns, the example file) and `RowError`,
  how a problem is located for the person fixing their spreadsheet;
- `consent.importing.reading`: from bytes to records (size, encoding, separator, quoting) and
  the header row;
- `consent.importing.rows`: one data row's cells into a `TrackData` and its choices;
- `consent.importing.catalogue`: the whole file (`parse_catalogue_csv`), the rows the creator
  already registered (`find_conflicts`), and the import itself (`import_catalogue`);
- `consent.importing.updating`: the update mode, for a sheet exported by `consent.exporting`:
  which line is which of the creator's tracks, the changes (`plan_update`) and applying exactly
  the plan previewed (`apply_update`); `consent.importing.staging` keeps the file between the
  preview and the confirmation.
"""
