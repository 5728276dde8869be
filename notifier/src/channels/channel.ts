/** What a channel gets to send and what it answers. */
import type { Channel, NotifierEvent } from "../events.ts";
import type { Delivery } from "../store/notifier-store.ts";
import type { Rendered } from "../templates.ts";

export interface Message {
  delivery: Delivery;
  event: NotifierEvent;
  rendered: Rendered;
}

export type SendResult =
  | { ok: true; statusCode?: number | undefined }
  /** `retry: false` for failures that another attempt cannot fix (gone subscription, refused address). */
  | { ok: false; retry: boolean; error: string; statusCode?: number | undefined };

export interface ChannelSender {
  readonly channel: Channel;
  send(m: Message): Promise<SendResult>;
  close?(): Promise<void>;
}
