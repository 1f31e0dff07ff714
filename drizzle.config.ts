import { defineConfig } from 'drizzle-kit';

// `drizzle-kit generate` only diffs the schema against the committed snapshots;
// it never connects to a database, so no credentials are needed here.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
