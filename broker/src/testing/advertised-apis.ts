import { RawKafkaClient } from './raw-client.js';

/** Kafka API keys the tests ask about by name. */
export const ApiKeys = { endTxn: 26 } as const;

/**
 * Whether the broker at `address` advertises `apiKey` in its ApiVersions (v0) answer: how a
 * test that needs a feature (transactions: EndTxn) tells a broker that lacks it, to skip with
 * that reason instead of failing on a timeout.
 */
export async function advertisesApi(address: string, apiKey: number): Promise<boolean> {
  const client = await RawKafkaClient.connect(address);
  try {
    const answer = await client.request(18, 0, Buffer.alloc(0));
    if (answer.int16() !== 0) return false;
    for (let i = answer.int32(); i > 0; i--) {
      const key = answer.int16();
      answer.int16(); // min version
      answer.int16(); // max version
      if (key === apiKey) return true;
    }
    return false;
  } finally {
    client.close();
  }
}
