-- The peers' schema (Gin and FastAPI apps of the comparison run): the
-- taskboard's task columns the harness's JSON API mix touches, plus users
-- and opaque access tokens in the database so every instance knows them.
CREATE TABLE IF NOT EXISTS peer_users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  password_hash text NOT NULL
);
CREATE TABLE IF NOT EXISTS peer_tokens (
  token text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES peer_users(id)
);
CREATE TABLE IF NOT EXISTS tasks (
  id bigserial PRIMARY KEY,
  title text NOT NULL,
  priority int NOT NULL DEFAULT 1,
  tags text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'open',
  owner_id bigint NOT NULL REFERENCES peer_users(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
