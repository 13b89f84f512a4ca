import { Client, type PoolConfig } from 'pg';
import { testConnections, type TestConnections } from './connections';

/** Creates the file's schema in the test database and returns pool settings whose search_path is that
 *  schema, so unqualified table names (and TypeORM migrations) land there. */
export async function createTestSchema(schema: string, conn: TestConnections = testConnections()): Promise<PoolConfig> {
  assertIdentifier(schema);
  const client = new Client({ connectionString: conn.postgresUrl });
  await client.connect();
  try {
    await client.query(`create schema if not exists "${schema}"`);
  } finally {
    await client.end();
  }
  return schemaPoolConfig(schema, conn);
}

export function schemaPoolConfig(schema: string, conn: TestConnections = testConnections()): PoolConfig {
  assertIdentifier(schema);
  return { connectionString: conn.postgresUrl, options: `-c search_path=${schema}` };
}

export async function dropTestSchema(schema: string, conn: TestConnections = testConnections()): Promise<void> {
  assertIdentifier(schema);
  const client = new Client({ connectionString: conn.postgresUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
}
