/** The community a request names, or a 400 when it does not exist. */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { eq } from "ponder";
import { InvalidInput } from "./validation.ts";

export type CommunityRow = typeof schema.communities.$inferSelect;

export async function community(id: number): Promise<CommunityRow> {
  const [row] = await db.select().from(schema.communities).where(eq(schema.communities.id, id));
  if (!row) throw new InvalidInput(`Community ${id} does not exist.`);
  return row;
}
