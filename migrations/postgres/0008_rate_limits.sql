-- Twin: migrations/sqlite/0008_rate_limits.sql
-- Rate limits that every replica shares (log-in, sign-up, the REST API): one row per limited
-- key, holding the key's theoretical arrival time (GCRA, the generic cell rate algorithm of ITU-T
-- I.371, as the `governor` crate and Redis' redis-cell use it): the moment, in microseconds since
-- the Unix epoch, when the key's allowance is whole again. One row and one conditional upsert per
-- counted event, so two replicas counting at once can never both take the last event
-- (`src/server/rate_limits.rs`). A row whose time has passed means the same as no row, and is
-- deleted from time to time.
--
-- UNLOGGED: every API request writes here, and an unlogged table skips the write-ahead log (a
-- fraction of the cost). After a crash PostgreSQL empties it, which only gives every client its
-- whole allowance back once.
CREATE UNLOGGED TABLE rate_limits (
    -- `<limit>/<what is counted>`, for example `log-in/address/192.0.2.1`; emails only as a hash.
    key     TEXT    PRIMARY KEY,
    tat_us  BIGINT  NOT NULL,
    -- The latest clock reading counted for the key: each request reads the clock before it waits
    -- for a connection and for the row, so one that read it earlier can be counted later; it then
    -- counts as of this moment, or the skew would eat into the allowance (measured: 3 of 4
    -- allowed log-ins under load, where 4 were due).
    seen_us BIGINT  NOT NULL
);
