-- Twin: migrations/postgres/0013_websocket_roll_up_marks.sql
-- How far the hours and days of `ws_traffic` are rolled up (`ws_traffic::roll_up`): for each
-- coarser granularity (an hour, a day), every period that starts before `rolled_up_before` (Unix
-- seconds, a multiple of it) has its final row; the ones from it on are read from the finer rows.
-- The roll-up then does each period once, after it ended, in place of regrouping the last two
-- hours of every resource each minute. No row: nothing rolled up yet.
CREATE TABLE ws_roll_up (
    granularity      BIGINT PRIMARY KEY CHECK (granularity IN (3600, 86400)),
    rolled_up_before BIGINT NOT NULL CHECK (rolled_up_before % granularity = 0)
);
