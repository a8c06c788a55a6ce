{{- /*
ensure.sql, rendered with the chart's values (nova-common.scripts.configMap).
Idempotent: Patroni's post_bootstrap and the post-install/post-upgrade Job
both run it; it only creates what is missing and re-applies owners and
passwords. Passwords come from the environment (\getenv), never from here.
*/ -}}
{{- $app := include "nova-common.postgres.appRole" . -}}
\set ON_ERROR_STOP on
\getenv app_password NOVA_APP_PASSWORD
\getenv replication_password NOVA_REPLICATION_PASSWORD
\set app_role {{ $app }}
\set replication_role {{ .Values.auth.replicationUsername }}

SELECT format('CREATE ROLE %I LOGIN', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD %L', :'app_role', :'app_password') \gexec

\if :{?replication_password}
SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'replication_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'replication_role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION PASSWORD %L', :'replication_role', :'replication_password') \gexec
\endif
{{- range .Values.databases }}

-- database {{ .name }}: schemas {{ join ", " .schemas }}
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', '{{ .name }}', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{{ .name }}') \gexec
ALTER DATABASE {{ .name }} OWNER TO :"app_role";
\connect {{ .name }}
{{- range .schemas }}
CREATE SCHEMA IF NOT EXISTS {{ . }} AUTHORIZATION :"app_role";
ALTER SCHEMA {{ . }} OWNER TO :"app_role";
{{- end }}
{{- end }}
