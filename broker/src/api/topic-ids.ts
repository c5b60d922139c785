/*
 * Topic ids are 16 bytes on the wire; the log keeps them as 32 hex digits (log-manager.ts, and
 * topic.json). All zeros is Kafka's "no topic id", answered for a topic that has none here.
 */
export const NO_TOPIC_ID = '00'.repeat(16);

/** The 16 bytes to write for a topic id (an unknown topic: the zero id). */
export function topicIdBytes(topicId: string | undefined): Buffer {
  return Buffer.from(topicId ?? NO_TOPIC_ID, 'hex');
}
