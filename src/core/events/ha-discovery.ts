/**
 * Home Assistant MQTT discovery for an alert topic: what lightexnet-alert-out publishes (retained) so that
 * Home Assistant shows the alerts without any YAML:
 *   - an event entity (event types alert / cleared, with expression and confidence as attributes),
 *   - a sensor with the last alerted expression ("none" once cleared),
 *   - an image entity showing <topic>/snapshot (the alert's face picture),
 * all on one device, with an availability topic (online while connected; offline by last will).
 * https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
 */
export interface DiscoveryOptions {
  /** Where the alerts are published (the node's topic). */
  alertTopic: string;
  /** Device name shown in Home Assistant. */
  name: string;
  /** Discovery prefix (Home Assistant's default: homeassistant). */
  prefix?: string;
}

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

export const HA_STATUS_TOPIC = 'homeassistant/status';

/** A stable id from the alert topic: the same entities after a redeploy or a re-import of the flow. */
export function discoveryId(alertTopic: string): string {
  return `lightexnet_${alertTopic
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()}`;
}

export const availabilityTopic = (alertTopic: string): string => `${alertTopic}/availability`;
export const snapshotTopic = (alertTopic: string): string => `${alertTopic}/snapshot`;

export function discoveryMessages(opts: DiscoveryOptions): DiscoveryMessage[] {
  const prefix = opts.prefix ?? 'homeassistant';
  const id = discoveryId(opts.alertTopic);
  const common = {
    availability_topic: availabilityTopic(opts.alertTopic),
    device: { identifiers: [id], name: opts.name, manufacturer: 'LightExNet', model: 'Node-RED expression alerts' },
  };
  const entities: [string, string, Record<string, unknown>][] = [
    [
      'event',
      `${id}_event`,
      {
        name: 'Expression alert',
        state_topic: opts.alertTopic,
        event_types: ['alert', 'cleared'],
        // Our payload says "event"; Home Assistant wants "event_type" (other keys become attributes).
        value_template:
          '{{ {"event_type": value_json.event, "expression": value_json.expression, "confidence": value_json.confidence, "topic": value_json.topic} | tojson }}',
        icon: 'mdi:emoticon-outline',
      },
    ],
    [
      'sensor',
      `${id}_expression`,
      {
        name: 'Alerted expression',
        state_topic: opts.alertTopic,
        value_template: "{{ value_json.expression if value_json.event == 'alert' else 'none' }}",
        json_attributes_topic: opts.alertTopic,
        icon: 'mdi:emoticon-outline',
      },
    ],
    ['image', `${id}_snapshot`, { name: 'Alert face', image_topic: snapshotTopic(opts.alertTopic), content_type: 'image/jpeg' }],
  ];
  return entities.map(([component, uid, config]) => ({
    topic: `${prefix}/${component}/${uid}/config`,
    payload: JSON.stringify({ ...config, unique_id: uid, object_id: uid, ...common }),
  }));
}
