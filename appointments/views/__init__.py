"""Pages of the appointments app, by who uses them: finding and booking a time, one
appointment, the patient's own pages, staff schedules and reception, schedule management.
Thin: a form, one service or selector call, a template."""
