import { EVENT_FILES, topicSpec, type TopicKey } from '@ionet/contracts';

/** The parts of a `buf build --as-file-descriptor-set` JSON image this generator reads. */
export interface DescriptorSetJson {
  file: FileJson[];
}
interface FileJson {
  name: string;
  package?: string;
  messageType?: MessageJson[];
  enumType?: EnumJson[];
  sourceCodeInfo?: { location?: LocationJson[] };
}
interface MessageJson {
  name: string;
  field?: FieldJson[];
  nestedType?: MessageJson[];
  enumType?: EnumJson[];
  oneofDecl?: Array<{ name: string }>;
  options?: { mapEntry?: boolean };
}
interface FieldJson {
  name: string;
  number: number;
  label?: string;
  type: string;
  typeName?: string;
  jsonName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface EnumJson {
  name: string;
  value?: Array<{ name: string; number: number }>;
}
interface LocationJson {
  path?: number[];
  leadingComments?: string;
  trailingComments?: string;
  leadingDetachedComments?: string[];
}

type JsonSchema = Record<string, unknown>;

// FileDescriptorProto / DescriptorProto field numbers, as source-code-info paths use them.
const FILE_MESSAGE = 4;
const FILE_ENUM = 5;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED = 3;
const MESSAGE_ENUM = 4;
const ENUM_VALUE = 2;

const WELL_KNOWN: Readonly<Record<string, JsonSchema>> = {
  '.google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
  '.google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?s$' },
};

const SCALARS: Readonly<Record<string, JsonSchema>> = {
  TYPE_STRING: { type: 'string' },
  TYPE_BOOL: { type: 'boolean' },
  TYPE_INT32: { type: 'integer', format: 'int32' },
  TYPE_SINT32: { type: 'integer', format: 'int32' },
  TYPE_SFIXED32: { type: 'integer', format: 'int32' },
  TYPE_UINT32: { type: 'integer', format: 'int32', minimum: 0 },
  TYPE_FIXED32: { type: 'integer', format: 'int32', minimum: 0 },
  // proto3 JSON writes 64-bit integers as decimal strings: exact at any size (money in base units).
  TYPE_INT64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  TYPE_SINT64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  TYPE_SFIXED64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  TYPE_UINT64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  TYPE_FIXED64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  TYPE_DOUBLE: { type: 'number' },
  TYPE_FLOAT: { type: 'number' },
  TYPE_BYTES: { type: 'string', contentEncoding: 'base64' },
};

/** One comment, whitespace-normalised per paragraph (proto comments wrap at 100 columns). */
function clean(comment: string | undefined): string | undefined {
  if (!comment) return undefined;
  const text = comment
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n');
  return text || undefined;
}

interface Declared {
  fqn: string;
  file: FileJson;
  path: number[];
}

/** Every message and enum of the image by fully qualified name, with its source-code-info path. */
function index(set: DescriptorSetJson): { messages: Map<string, Declared & { message: MessageJson }>; enums: Map<string, Declared & { enum: EnumJson }>; comments: Map<FileJson, Map<string, LocationJson>> } {
  const messages = new Map<string, Declared & { message: MessageJson }>();
  const enums = new Map<string, Declared & { enum: EnumJson }>();
  const comments = new Map<FileJson, Map<string, LocationJson>>();
  for (const file of set.file) {
    comments.set(file, new Map((file.sourceCodeInfo?.location ?? []).map((l) => [(l.path ?? []).join('.'), l])));
    const visit = (scope: string, list: MessageJson[] | undefined, enumList: EnumJson[] | undefined, path: number[], messageTag: number, enumTag: number) => {
      (enumList ?? []).forEach((e, i) => enums.set(`${scope}.${e.name}`, { fqn: `${scope}.${e.name}`, file, path: [...path, enumTag, i], enum: e }));
      (list ?? []).forEach((m, i) => {
        const fqn = `${scope}.${m.name}`;
        const here = [...path, messageTag, i];
        messages.set(fqn, { fqn, file, path: here, message: m });
        visit(fqn, m.nestedType, m.enumType, here, MESSAGE_NESTED, MESSAGE_ENUM);
      });
    };
    visit(`.${file.package ?? ''}`, file.messageType, file.enumType, [], FILE_MESSAGE, FILE_ENUM);
  }
  return { messages, enums, comments };
}

const schemaKey = (fqn: string) => fqn.replace(/^\./, '');
const schemaRef = (fqn: string) => ({ $ref: `#/components/schemas/${schemaKey(fqn)}` });

export interface FieldDoc {
  name: string;
  number: number;
  type: string;
  description?: string;
}

export interface EventDoc {
  context: TopicKey;
  name: string;
  typeName: string;
  summary?: string;
  fields: FieldDoc[];
}

export interface EventCatalogue {
  asyncapi: Record<string, unknown>;
  events: EventDoc[];
  markdown: string;
}

interface TopicSource {
  key: TopicKey;
  /** Fully qualified names of the messages that travel on the topic. */
  messages: string[];
  /** True: each Kafka value is an EventEnvelope carrying the message; false: the value is the message. */
  enveloped: boolean;
}

/**
 * The Kafka event catalogue of the contracts: an AsyncAPI 3.0 document (one channel per topic, one
 * message per event, payload schemas in the proto3 JSON mapping with the protobuf names and field
 * numbers beside them, descriptions from the .proto comments) and the Markdown page of docs/.
 */
export function buildEventCatalogue(set: DescriptorSetJson, version: string): EventCatalogue {
  const { messages, enums, comments } = index(set);
  const commentAt = (file: FileJson, path: number[]) => comments.get(file)?.get(path.join('.'));
  const schemas: Record<string, JsonSchema> = {};
  const pending = new Set<string>();

  const fieldType = (f: FieldJson): { schema: JsonSchema; label: string } => {
    let schema: JsonSchema;
    let label: string;
    if (f.type === 'TYPE_MESSAGE' || f.type === 'TYPE_GROUP') {
      const wellKnown = WELL_KNOWN[f.typeName!];
      const target = messages.get(f.typeName!);
      if (target?.message.options?.mapEntry) {
        const [k, v] = target.message.field!;
        const value = fieldType(v);
        return { schema: { type: 'object', additionalProperties: value.schema, 'x-protobuf-map-key': k.type.replace('TYPE_', '').toLowerCase() }, label: `map<${k.type.replace('TYPE_', '').toLowerCase()}, ${value.label}>` };
      }
      if (wellKnown) schema = { ...wellKnown };
      else {
        pending.add(f.typeName!);
        schema = schemaRef(f.typeName!);
      }
      label = schemaKey(f.typeName!);
    } else if (f.type === 'TYPE_ENUM') {
      pending.add(f.typeName!);
      schema = schemaRef(f.typeName!);
      label = schemaKey(f.typeName!);
    } else {
      schema = { ...SCALARS[f.type] };
      label = f.type.replace('TYPE_', '').toLowerCase();
    }
    if (f.label === 'LABEL_REPEATED') return { schema: { type: 'array', items: schema }, label: `repeated ${label}` };
    return { schema, label: f.proto3Optional ? `optional ${label}` : label };
  };

  const messageSchema = (fqn: string): { schema: JsonSchema; fields: FieldDoc[]; summary?: string } => {
    const declared = messages.get(fqn);
    if (!declared) throw new Error(`the image has no message ${fqn}`);
    const { message, file, path } = declared;
    const properties: Record<string, JsonSchema> = {};
    const fields: FieldDoc[] = [];
    (message.field ?? []).forEach((f, i) => {
      const { schema, label } = fieldType(f);
      const description = clean(commentAt(file, [...path, MESSAGE_FIELD, i])?.leadingComments ?? commentAt(file, [...path, MESSAGE_FIELD, i])?.trailingComments);
      const realOneof = f.oneofIndex !== undefined && !f.proto3Optional ? message.oneofDecl?.[f.oneofIndex]?.name : undefined;
      properties[f.jsonName ?? f.name] = {
        ...(schema.$ref ? { allOf: [schema] } : schema),
        ...(description ? { description } : {}),
        'x-protobuf-field': f.name,
        'x-protobuf-number': f.number,
        ...(realOneof ? { 'x-protobuf-oneof': realOneof } : {}),
      };
      fields.push({ name: f.name, number: f.number, type: realOneof ? `${label} (one of ${realOneof})` : label, ...(description ? { description } : {}) });
    });
    const summary = clean(commentAt(file, path)?.leadingComments);
    return { schema: { type: 'object', title: schemaKey(fqn), ...(summary ? { description: summary } : {}), properties, 'x-protobuf-type': schemaKey(fqn) }, fields, ...(summary ? { summary } : {}) };
  };

  const enumSchema = (fqn: string): JsonSchema => {
    const declared = enums.get(fqn);
    if (!declared) throw new Error(`the image has no enum ${fqn}`);
    const values = declared.enum.value ?? [];
    const descriptions = values.map((_, i) => clean(commentAt(declared.file, [...declared.path, ENUM_VALUE, i])?.leadingComments));
    const summary = clean(commentAt(declared.file, declared.path)?.leadingComments);
    return {
      type: 'string',
      title: schemaKey(fqn),
      ...(summary ? { description: summary } : {}),
      enum: values.map((v) => v.name),
      'x-protobuf-numbers': Object.fromEntries(values.map((v) => [v.name, v.number])),
      ...(descriptions.some(Boolean) ? { 'x-enum-descriptions': Object.fromEntries(values.flatMap((v, i) => (descriptions[i] ? [[v.name, descriptions[i]]] : []))) } : {}),
    };
  };

  const topics: TopicSource[] = [
    ...EVENT_FILES.map(({ context, file }) => ({ key: context as TopicKey, messages: file.messages.map((m) => `.${m.typeName}`), enveloped: true })),
    { key: 'dlq', messages: ['.ionet.dlq.v1.DeadLetter'], enveloped: false },
  ];
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const componentMessages: Record<string, unknown> = {};
  const events: EventDoc[] = [];

  for (const topic of topics) {
    const spec = topicSpec(topic.key);
    const firstFile = messages.get(topic.messages[0])?.file;
    const fileComment = firstFile ? clean(commentAt(firstFile, [FILE_MESSAGE, 0])?.leadingDetachedComments?.join('\n\n')) : undefined;
    const refs: Record<string, unknown> = {};
    for (const fqn of topic.messages) {
      const name = fqn.slice(fqn.lastIndexOf('.') + 1);
      const key = `${topic.key}.${name}`;
      const built = messageSchema(fqn);
      schemas[schemaKey(fqn)] = built.schema;
      events.push({ context: topic.key, name, typeName: schemaKey(fqn), ...(built.summary ? { summary: built.summary } : {}), fields: built.fields });
      componentMessages[key] = {
        name,
        title: name,
        ...(built.summary ? { summary: built.summary.split('\n\n')[0] } : {}),
        description: topic.enveloped
          ? `The Kafka value is an \`ionet.common.v1.EventEnvelope\` with \`event_type\` = \`${schemaKey(fqn)}\`; its \`payload\` is this message in the protobuf binary encoding (the schema below is the message's proto3 JSON mapping).`
          : 'The Kafka value is this message in the protobuf binary encoding (the schema below is its proto3 JSON mapping).',
        contentType: 'application/x-protobuf',
        payload: schemaRef(fqn),
        bindings: { kafka: { key: { type: 'string', description: topic.enveloped ? 'The aggregate id of the event (events of one aggregate keep their order on one partition).' : 'The dead letter id.' }, bindingVersion: '0.5.0' } },
        'x-protobuf-type': schemaKey(fqn),
      };
      refs[name] = { $ref: `#/components/messages/${key}` };
    }
    channels[topic.key] = {
      address: spec.name,
      title: spec.name,
      description: [fileComment, `${spec.partitions} partitions; retention unlimited (events are the source of truth and projections rebuild from offset 0). Topics carry a prefix in tests only.`].filter(Boolean).join('\n\n'),
      messages: refs,
      bindings: { kafka: { topic: spec.name, partitions: spec.partitions, topicConfiguration: { 'retention.ms': -1, 'cleanup.policy': ['delete'] }, bindingVersion: '0.5.0' } },
    };
    operations[`${topic.key}.publish`] = {
      action: 'send',
      title: topic.key === 'dlq' ? 'Consumers dead-letter what they cannot accept' : `The ${topic.key} service publishes its events (outbox relay)`,
      channel: { $ref: `#/channels/${topic.key}` },
      messages: Object.keys(refs).map((name) => ({ $ref: `#/channels/${topic.key}/messages/${name}` })),
    };
  }

  schemas['ionet.common.v1.EventEnvelope'] = messageSchema('.ionet.common.v1.EventEnvelope').schema;
  // Referenced value types and enums, transitively.
  while (pending.size > 0) {
    const [fqn] = pending;
    pending.delete(fqn);
    if (schemas[schemaKey(fqn)]) continue;
    schemas[schemaKey(fqn)] = messages.has(fqn) ? messageSchema(fqn).schema : enumSchema(fqn);
  }

  const asyncapi = {
    asyncapi: '3.0.0',
    info: {
      title: 'ionet event catalogue',
      version,
      description:
        'Every event the ionet services publish on Kafka, generated from proto/ (npm run docs:events). Each service owns one topic, ionet.<context>.v1, and is its only producer; the Kafka value is an ionet.common.v1.EventEnvelope (event id, type, aggregate, causation, trace context) whose payload is the event in the protobuf binary encoding. Schemas only grow within a version: a field is never renamed or reused.',
    },
    defaultContentType: 'application/x-protobuf',
    servers: { local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The development broker (npm run infra -- up).' } },
    channels,
    operations,
    components: { messages: componentMessages, schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))) },
  };
  return { asyncapi, events, markdown: markdownOf(events, topics) };
}

const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|').replace(/\n\n/g, '<br>');

function markdownOf(events: EventDoc[], topics: TopicSource[]): string {
  const lines = [
    '# Event catalogue',
    '',
    '<!-- Generated from proto/ by `npm run docs:events`; do not edit (CI fails when it is stale). -->',
    '',
    'Every event the services publish on Kafka. The machine-readable form is the AsyncAPI 3.0 document',
    '[`events/asyncapi.json`](events/asyncapi.json) (open it in the AsyncAPI Studio or any AsyncAPI tool).',
    '',
    '- **Topics**: one per context, `ionet.<context>.v1`, written only by that context\'s service through its outbox relay;',
    '  `ionet.dlq.v1` holds dead letters. Retention is unlimited: projections rebuild from offset 0.',
    '- **Value**: an `ionet.common.v1.EventEnvelope` (event id, UUIDv7; `event_type`, the message\'s full name; aggregate',
    '  type, id and version; `occurred_at` from the command; correlation and causation ids; W3C trace context) whose',
    '  `payload` is the event in the protobuf binary encoding. **Key**: the aggregate id, so one aggregate\'s events keep their order.',
    '- **Money** is `ionet.common.v1.Money`: an integer amount of base units (a decimal string in JSON) and its asset.',
    '- **Evolution**: fields are only added within a version (`buf breaking` in CI); a field is never renamed or reused.',
    '  Consumers ignore fields they do not know and dead-letter what they cannot read (`ionet.dlq.v1`).',
    '',
    '| topic | events |',
    '|---|---|',
    ...topics.map((t) => `| \`ionet.${t.key}.v1\` | ${events.filter((e) => e.context === t.key).map((e) => `[${e.name}](#${(t.key + '-' + e.name).toLowerCase()})`).join(', ')} |`),
    '',
  ];
  for (const topic of topics) {
    lines.push(`## \`ionet.${topic.key}.v1\``, '');
    for (const e of events.filter((x) => x.context === topic.key)) {
      lines.push(`<a id="${(topic.key + '-' + e.name).toLowerCase()}"></a>`, `### ${e.name}`, '', `\`${e.typeName}\``, '');
      if (e.summary) lines.push(e.summary, '');
      if (e.fields.length > 0) {
        lines.push('| # | field | type | meaning |', '|---|---|---|---|');
        for (const f of e.fields) lines.push(`| ${f.number} | \`${f.name}\` | ${cell(f.type)} | ${cell(f.description)} |`);
        lines.push('');
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
