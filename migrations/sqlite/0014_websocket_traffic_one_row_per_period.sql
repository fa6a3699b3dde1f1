-- Twin: migrations/postgres/0014_websocket_traffic_one_row_per_period.sql
-- `ws_traffic` (migration 0012) held one row per resource, period and metric; it now holds one
-- row per resource and period, its metrics in `figures`: a JSON object, metric name to value, of
-- the metrics that moved (`ws_traffic::Figures`; `open_peak` the most open at once, every other
-- one a sum), as `ws_edge_traffic.counters` holds an edge's. A day's Reports page by minute then
-- reads 1,440 rows, not ~33,000: reading and grouping those was two thirds of its time (perf).
CREATE TABLE ws_traffic_periods (
    resource_id  BIGINT  NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE,
    granularity  BIGINT  NOT NULL CHECK (granularity IN (60, 3600, 86400)),
    period_start BIGINT  NOT NULL CHECK (period_start % granularity = 0),
    figures      TEXT    NOT NULL CHECK (json_type(figures) = 'object'),
    PRIMARY KEY (resource_id, granularity, period_start)
);
INSERT INTO ws_traffic_periods (resource_id, granularity, period_start, figures)
SELECT resource_id, granularity, period_start, json_group_object(metric, value)
FROM ws_traffic GROUP BY resource_id, granularity, period_start;
DROP TABLE ws_traffic;
ALTER TABLE ws_traffic_periods RENAME TO ws_traffic;
CREATE INDEX ws_traffic_by_age ON ws_traffic (granularity, period_start);
