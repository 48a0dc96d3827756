-- rls_audit 0.1.0 -> 0.2.0. Released: never edit (CI checks its hash).
-- report() and reviews read "events since the baseline" by time.
CREATE INDEX events_occurred_at ON @extschema@.events (occurred_at);
