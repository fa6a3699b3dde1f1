-- What the CDN edges follow. Every change to a resource's settings, and every removal of a
-- resource, takes the next configuration version here, in the same transaction as the change
-- (by trigger, so no write path can forget). AUTOINCREMENT: a version is never used twice,
-- even after the newest rows are deleted, so edges can always ask "what changed after N?".

CREATE TABLE config_changes (
    version     INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id INTEGER NOT NULL
);

CREATE INDEX config_changes_by_resource ON config_changes (resource_id, version);

CREATE TRIGGER resource_changes_reach_the_edges
AFTER INSERT ON resource_changes
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (NEW.resource_id);
END;

CREATE TRIGGER removed_resources_reach_the_edges
AFTER DELETE ON cdn_resources
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (OLD.id);
END;

INSERT INTO config_changes (resource_id) SELECT id FROM cdn_resources ORDER BY id;

-- The configuration version each edge last said it serves, and when it last said anything.
CREATE TABLE edge_status (
    edge_id         TEXT   PRIMARY KEY,
    applied_version BIGINT NOT NULL,
    reported_at     BIGINT NOT NULL
);
