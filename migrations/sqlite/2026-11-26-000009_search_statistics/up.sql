-- Nothing to do on SQLite: FTS5 yields matches in rowid order, newest first, whatever the
-- word's frequency (PostgreSQL's planner needs word statistics for the same; see there).
SELECT 1;
