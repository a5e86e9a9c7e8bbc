"""API shapes of the appointments app, by resource (as appointments/apis/): inputs (rows
named by public id are looked up in the querysets of selectors), list filters and outputs."""
