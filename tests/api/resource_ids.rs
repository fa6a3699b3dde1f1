//! Migration 0005: a CDN resource's id is never given to another, on both databases, whoever
//! inserts the row (the portal takes the next id from `cdn_resource_ids`; a trigger refuses any
//! other insert of an id already given).

use crate::helpers::fresh_database;
use cdn_portal::on_db;
use cdn_portal::server::db::Pool;

async fn execute(pool: &Pool, sql: &str) -> Result<(), sqlx::Error> {
    on_db!(pool.db(), |e| sqlx::query(sql).execute(e).await.map(|_| ()))
}

fn resource_row(id: Option<i64>, domain: &str) -> String {
    let (column, value) = id.map_or((String::new(), String::new()), |id| ("id, ".to_owned(), format!("{id}, ")));
    format!(
        "INSERT INTO cdn_resources ({column}account_id, custom_domain, origin_group_id, integration, websockets, created_at, updated_at) \
         VALUES ({value}1, '{domain}', 1, 'entire_website', TRUE, 0, 0)"
    )
}

#[tokio::test]
async fn an_id_once_given_is_never_given_again_by_any_insert() {
    let (pool, _database) = fresh_database().await;
    execute(&pool, "INSERT INTO accounts (id, email, password_hash, created_at) VALUES (1, 'ada@example.com', 'x', 0)")
        .await
        .unwrap();
    execute(
        &pool,
        "INSERT INTO origin_groups (id, account_id, name, sources, use_next, proxy_next_upstream, created_at, updated_at) \
         VALUES (1, 1, 'o', '[{\"source\":\"origin.example.com\",\"enabled\":true,\"backup\":false}]', FALSE, '[]', 0, 0)",
    )
    .await
    .unwrap();
    execute(&pool, &resource_row(Some(5), "five.example.com")).await.unwrap();
    execute(&pool, &resource_row(Some(6), "six.example.com")).await.unwrap();
    execute(&pool, "DELETE FROM cdn_resources WHERE id = 6").await.unwrap();

    let last: i64 =
        on_db!(pool.db(), |e| sqlx::query_scalar("SELECT last_id FROM cdn_resource_ids").fetch_one(e).await).unwrap();
    assert_eq!(last, 6, "the largest id given, though it is deleted");
    for id in [6, 3] {
        let error = execute(&pool, &resource_row(Some(id), "again.example.com")).await.unwrap_err();
        assert!(error.to_string().contains("given to another resource"), "{id}: {error}");
    }
    // SQLite would give 6 again, PostgreSQL's sequence 1: both refused rather than reuse an id.
    execute(&pool, &resource_row(None, "again.example.com")).await.unwrap_err();
    execute(&pool, &resource_row(Some(7), "again.example.com")).await.unwrap();
    let ids: Vec<i64> =
        on_db!(pool.db(), |e| sqlx::query_scalar("SELECT id FROM cdn_resources ORDER BY id").fetch_all(e).await)
            .unwrap();
    assert_eq!(ids, [5, 7]);
}
