-- Twin: migrations/sqlite/0012_websocket_traffic.sql
-- WebSocket traffic per resource, as the edges report it (`POST /edge/v1/traffic`, the contract
-- in `feed/src/traffic.rs`; the portal's side in `src/server/ws_traffic/`).
--
-- `ws_edge_traffic`: the last figures each edge reported for each resource, cumulative since the
-- edge's `boot`. A report adds to `ws_traffic` only what grew since, so a report sent twice, or a
-- portal restarted between two, counts nothing twice. `open_now` counts as open now while
-- `reported_ms` (Unix milliseconds) is recent. `counters` is a JSON object, name to count.
CREATE TABLE ws_edge_traffic (
    edge_id     TEXT    NOT NULL,
    resource_id BIGINT  NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE,
    boot        TEXT    NOT NULL,
    open_now    BIGINT  NOT NULL CHECK (open_now >= 0),
    counters    TEXT    NOT NULL CHECK (json_typeof(counters::json) = 'object'),
    reported_ms BIGINT  NOT NULL,
    PRIMARY KEY (edge_id, resource_id)
);

-- Per resource, per period: what every edge reported in it, one row per metric that moved.
-- `granularity` is the period's length in seconds (a minute, an hour, a day), `period_start` its
-- start in Unix seconds (a multiple of it). Each report adds to its minute; the hour and day rows
-- are recomputed from the finer ones every minute (`ws_traffic::roll_up`), which may be run again
-- at any time and gives the same rows.
-- `open_peak` holds the most connections seen open at once across the edges in the period; every
-- other metric, a sum. Rows past retention are deleted (`ws_traffic::retention`).
CREATE TABLE ws_traffic (
    resource_id  BIGINT  NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE,
    granularity  BIGINT  NOT NULL CHECK (granularity IN (60, 3600, 86400)),
    period_start BIGINT  NOT NULL CHECK (period_start % granularity = 0),
    metric       TEXT    NOT NULL CHECK (metric <> ''),
    value        BIGINT  NOT NULL CHECK (value >= 0),
    PRIMARY KEY (resource_id, granularity, period_start, metric)
);
CREATE INDEX ws_traffic_by_age ON ws_traffic (granularity, period_start);
