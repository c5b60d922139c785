import { type AlertTriggerFields, encodeAlertTrigger } from '@tickstream/schemas';
import { UserStateWriter, userStateKafka } from '../user-state-kafka.js';

/**
 * THE PRODUCER OF TRIGGERS IN TESTS UNTIL PART B OF ISSUE 20 LANDS. Rule evaluation belongs to
 * the Flink analytics job (docs/alerts.md); until it exists, tests write what it will write: a
 * real AlertTrigger FlatBuffer (schemas/fbs/user.fbs), keyed by the user, through real Kafka
 * onto `alert_events`. Everything downstream (edges, browsers, watch --alerts) is the real path.
 */
export async function writeTriggerAsEvaluatorWould(
  brokers: string[],
  alertEventsTopic: string,
  trigger: AlertTriggerFields,
): Promise<void> {
  const writer = new UserStateWriter(userStateKafka(brokers, 'test-alert-evaluator-stand-in'));
  try {
    await writer.write(alertEventsTopic, trigger.user, encodeAlertTrigger(trigger));
  } finally {
    await writer.stop();
  }
}

/** A trigger of `rule` as the evaluator would write it for a tick at `price`. */
export function triggerOf(
  rule: { id: string; user: string; symbol: string; kind: AlertTriggerFields['kind']; value: number; armedAt: number },
  price: number,
  sequence: number,
): AlertTriggerFields {
  return {
    id: `${rule.id}-${rule.armedAt}-${sequence}`,
    user: rule.user,
    ruleId: rule.id,
    symbol: rule.symbol,
    kind: rule.kind,
    value: price,
    price,
    timeMs: Date.now(),
    threshold: rule.value,
    tickSequence: sequence,
    ruleArmedAtMs: rule.armedAt,
    detail: `${rule.symbol} ${price} ≥ ${rule.value}`,
  };
}
