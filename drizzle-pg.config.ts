import { defineConfig } from 'drizzle-kit';

// Migrations for the PostgreSQL store (DATABASE_URL=postgres://…); drizzle.config.ts is libsql's.
export default defineConfig({
	schema: './src/lib/server/db/schema-pg.ts',
	out: './drizzle-pg',
	dialect: 'postgresql'
});
