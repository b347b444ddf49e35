"""Excel in, once for every app: an app declares its sheet and the base does the rest.

- `reader`: the bounded reading of an upload (size, zip members, unpacked bytes, ratio, DTDs,
  rows, columns, text length), refusing a hostile file with a message for the file field;
- `sheet`: `Sheet` and `Column`, an app's declaration (layout, columns, how a row reaches and
  changes its record), and the template built from it;
- `models`: `ExcelImport`, the abstract record of one upload (each app keeps its own table);
- `imports`: check every row (problems by row and column), preview, commit all or nothing once;
- `views`: the template, upload and preview pages an app subclasses.

An app's sheet: reporting/excel.py (and its pages, reporting/excel_views.py).
"""
