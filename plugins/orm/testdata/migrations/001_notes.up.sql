CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body VARCHAR(200) NOT NULL
);
--bun:split
INSERT INTO notes (id, body) VALUES (1, 'first');
