/**
 * The schema version (scripts/schema-version.ts) of the `db/` a function was
 * bundled with: `npm run build` defines it in each bundle (esbuild `define`,
 * scripts/build.ts), so nothing reads a file at run time. Code that was not
 * bundled has no such global: read it only behind `typeof`.
 */
declare const __SCHEMA_VERSION__: string
