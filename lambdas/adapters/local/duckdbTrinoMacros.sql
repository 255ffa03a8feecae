-- DuckDB versions of the Trino functions the canned queries use, so the same SQL files run
-- unmodified on Athena and on the local DuckDB engine. Each mirrors Trino's semantics.
CREATE OR REPLACE MACRO from_unixtime(x) AS make_timestamp(CAST(x AS BIGINT) * 1000000);
CREATE OR REPLACE MACRO to_iso8601(ts) AS strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ');
-- Trino returns NULL when the value at the path is an object or array.
CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END;
CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR);
