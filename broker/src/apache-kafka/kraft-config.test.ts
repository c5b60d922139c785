import { describe, expect, it } from 'vitest';
import { nodeProperties, planConsecutivePorts, planNodes, saslPlainListener } from './kraft-config.js';
import { describeMavenFailure } from './maven.js';

const parse = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );

describe('KRaft node configuration', () => {
  it('puts brokers on consecutive ports from --port and the controllers right after them', () => {
    expect(planConsecutivePorts(1, 9092)).toEqual([{ brokerPort: 9092, controllerPort: 9093 }]);
    expect(planConsecutivePorts(3, 9092).map((p) => [p.brokerPort, p.controllerPort])).toEqual([
      [9092, 9095],
      [9093, 9096],
      [9094, 9097],
    ]);
  });

  it('gives one node internal topics with one replica, so groups get a coordinator', () => {
    const nodes = planNodes('/data', '127.0.0.1', planConsecutivePorts(1, 9092));
    const props = parse(nodeProperties(nodes[0] as (typeof nodes)[0], nodes));
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:9093');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('min.insync.replicas')).toBe('1');
    expect(props.get('log.dirs')).toBe('/data/node-1/data');
  });

  it('gives three nodes a three-voter quorum and three replicas of internal topics', () => {
    const nodes = planNodes('/data', '127.0.0.1', planConsecutivePorts(3, 9092));
    const props = parse(nodeProperties(nodes[1] as (typeof nodes)[0], nodes, { 'num.partitions': 6 }));
    expect(props.get('node.id')).toBe('2');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:9095,2@127.0.0.1:9096,3@127.0.0.1:9097');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:9096');
    expect(props.get('offsets.topic.replication.factor')).toBe('3');
    expect(props.get('transaction.state.log.min.isr')).toBe('2');
    expect(props.get('default.replication.factor')).toBe('3');
    expect(props.get('min.insync.replicas')).toBe('2');
    expect(props.get('num.partitions')).toBe('6');
  });

  it('adds a SASL_PLAINTEXT listener with PLAIN users, its JAAS config in server.properties', () => {
    const [plain] = planNodes('/data', '127.0.0.1', planConsecutivePorts(1, 9092));
    const node = {
      ...(plain as NonNullable<typeof plain>),
      extraListeners: [{ ...saslPlainListener({ alice: 'pw"1' }), port: 9094 }],
    };
    const props = parse(nodeProperties(node, [node]));
    expect(props.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_PLAINTEXT://127.0.0.1:9094',
    );
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9094');
    expect(props.get('listener.security.protocol.map')).toBe(
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    );
    expect(props.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(props.get('listener.name.sasl_plaintext.sasl.enabled.mechanisms')).toBe('PLAIN');
    // JAAS escapes the quote (\\"), and the properties file escapes that backslash once more.
    expect(props.get('listener.name.sasl_plaintext.plain.sasl.jaas.config')).toBe(
      'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="pw\\\\"1";',
    );
  });
});

describe('Maven failure messages', () => {
  it('names the artifact whether Maven looked it up now or remembers a failed look-up', () => {
    const fresh =
      '[ERROR] Failed to execute goal on project x: Could not resolve dependencies for project x: ' +
      'Could not find artifact org.apache.kafka:kafka_2.13:jar:9.9.9 in central (https://repo.maven.apache.org/maven2) -> [Help 1]';
    const remembered =
      '[ERROR] Failed to execute goal on project x: Could not resolve dependencies for project x: The following artifacts ' +
      'could not be resolved: org.apache.kafka:kafka_2.13:jar:9.9.9, org.apache.kafka:kafka-tools:jar:9.9.9: ' +
      'org.apache.kafka:kafka_2.13:jar:9.9.9 was not found in https://repo.maven.apache.org/maven2 during a previous attempt.';
    for (const output of [fresh, remembered]) {
      expect(describeMavenFailure(output, 1, null)).toMatch(
        /^Maven could not resolve org\.apache\.kafka:kafka_2\.13:jar:9\.9\.9 from Maven Central/,
      );
    }
  });
});
