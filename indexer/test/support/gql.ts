/**
 * Reads whole tables through the indexer's GraphQL API (pages of 1000), typed like the Drizzle
 * tables: bigint columns come back as bigints.
 *
 * The reconciliation reads through GraphQL; a test compares every table with what SQL over HTTP
 * (@ponder/client) returns.
 */
import { getTableColumns, type Table } from "drizzle-orm";

export async function readTable<T extends Table>(
  baseUrl: string,
  exportName: string,
  table: T,
): Promise<T["$inferSelect"][]> {
  const columns = getTableColumns(table) as Record<string, { columnType: string }>;
  const names = Object.keys(columns);
  const isBig = (k: string) => /Bigint|Numeric/i.test(columns[k]!.columnType);
  const rows: T["$inferSelect"][] = [];
  let after: string | null = null;
  for (;;) {
    const query = `query($after: String) { ${exportName}s(limit: 1000, after: $after) { items { ${names.join(" ")} } pageInfo { hasNextPage endCursor } } }`;
    const res = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables: { after } }),
    });
    const body = (await res.json()) as {
      data?: Record<
        string,
        { items: Record<string, unknown>[]; pageInfo: { hasNextPage: boolean; endCursor: string } }
      >;
      errors?: unknown;
    };
    const page = body.data?.[`${exportName}s`];
    if (!page) throw new Error(`GraphQL ${exportName}: ${JSON.stringify(body.errors)}`);
    for (const item of page.items) {
      const row: Record<string, unknown> = {};
      for (const k of names) {
        const v = item[k];
        row[k] = v !== null && v !== undefined && isBig(k) ? BigInt(v as string) : v;
      }
      rows.push(row as T["$inferSelect"]);
    }
    if (!page.pageInfo.hasNextPage) return rows;
    after = page.pageInfo.endCursor;
  }
}
