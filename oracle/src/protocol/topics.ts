/** MQTT topics of the PowerShare meter protocol (v1). */

export const READINGS_WILDCARD = "powershare/v1/+/meters/+/readings";
export const SIGNATURES_TOPIC = "powershare/v1/oracle/signatures";

const READING_TOPIC = /^powershare\/v1\/(\d{1,10})\/meters\/(\d{1,10})\/readings$/;
const UINT32_MAX = 0xffff_ffff;

export function readingTopic(communityId: number, meterId: number): string {
  return `powershare/v1/${communityId}/meters/${meterId}/readings`;
}

export interface ReadingTopic {
  communityId: number;
  meterId: number;
}

/** Parses a readings topic; undefined when it is not one (or an id is not a decimal uint32). */
export function parseReadingTopic(topic: string): ReadingTopic | undefined {
  const m = READING_TOPIC.exec(topic);
  if (!m) return undefined;
  const communityId = Number(m[1]);
  const meterId = Number(m[2]);
  if (communityId > UINT32_MAX || meterId > UINT32_MAX) return undefined;
  return { communityId, meterId };
}
