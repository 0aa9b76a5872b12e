-- ListUsers filters on username, email and phone number use these (exact and prefix match).
CREATE INDEX users_by_username ON users(pool_id, username);
CREATE INDEX users_by_email ON users(pool_id, json_extract(attributes, '$."email"'));
CREATE INDEX users_by_phone ON users(pool_id, json_extract(attributes, '$."phone_number"'));
