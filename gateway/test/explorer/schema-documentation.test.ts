import { readFileSync } from 'node:fs';
import {
  buildASTSchema,
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isTypeDefinitionNode,
  Kind,
  parse,
  visit,
  type ASTNode,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';

/**
 * The explorers' documentation is the API schema's descriptions: every type,
 * field, argument, input field and enum value the public contract names must
 * have one in the composed schema (schema.graphql, from the subgraphs'
 * descriptions).
 */
const root = new URL('../../../', import.meta.url);
const contract = parse(readFileSync(new URL('../../../docs/api-contract.graphql', import.meta.url), 'utf8'));
const apiSdl = readFileSync(new URL('schema.graphql', root), 'utf8');

interface Element {
  /** Schema coordinate: `Type`, `Type.field`, `Type.field(argument:)`, `Input.field` or `Enum.VALUE`. */
  coordinate: string;
  found: boolean;
  description: string | null | undefined;
}

/** Every element of the contract, as the API schema has it. */
function elementsOf(contract: DocumentNode, api: GraphQLSchema): Element[] {
  const used = namedTypesUsedBy(contract);
  const elements: Element[] = [];
  const add = (coordinate: string, found: { description?: string | null | undefined } | undefined | null) =>
    elements.push({ coordinate, found: Boolean(found), description: found?.description });
  for (const definition of contract.definitions) {
    if (!isTypeDefinitionNode(definition)) continue;
    const name = definition.name.value;
    // The contract declares `scalar JSON` but no field or argument of it uses JSON: it is not part of the API.
    if (definition.kind === Kind.SCALAR_TYPE_DEFINITION && !used.has(name)) continue;
    const type = api.getType(name);
    add(name, type);
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
      for (const value of definition.values ?? [])
        add(`${name}.${value.name.value}`, isEnumType(type) ? type.getValue(value.name.value) : null);
    }
    if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const field of definition.fields ?? [])
        add(`${name}.${field.name.value}`, isInputObjectType(type) ? type.getFields()[field.name.value] : null);
    }
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) {
        const apiField = isObjectType(type) || isInterfaceType(type) ? type.getFields()[field.name.value] : undefined;
        add(`${name}.${field.name.value}`, apiField);
        for (const argument of field.arguments ?? []) {
          add(
            `${name}.${field.name.value}(${argument.name.value}:)`,
            apiField?.args.find((a) => a.name === argument.name.value),
          );
        }
      }
    }
  }
  return elements;
}

function namedTypesUsedBy(document: DocumentNode): Set<string> {
  const used = new Set<string>();
  visit(document, {
    FieldDefinition: (field) => void visit(field.type, { NamedType: (named) => void used.add(named.name.value) }),
    InputValueDefinition: (input) => void visit(input.type, { NamedType: (named) => void used.add(named.name.value) }),
  });
  return used;
}

const missing = (elements: Element[]) => elements.filter((e) => !e.found).map((e) => e.coordinate);
const undocumented = (elements: Element[]) => elements.filter((e) => e.found && !e.description?.trim()).map((e) => e.coordinate);

/** The API schema with the description of one element taken away, as if someone deleted that docstring. */
function withoutDescription(sdl: string, coordinate: string): GraphQLSchema {
  const [, typeName, member, argument] = /^(\w+)(?:\.(\w+)(?:\((\w+):\))?)?$/.exec(coordinate)!;
  const undescribed = <T>(node: T): T => ({ ...node, description: undefined });
  const strip = (definition: any) => {
    if (definition.name.value !== typeName) return undefined;
    if (!member) return undescribed(definition);
    const key = definition.kind === Kind.ENUM_TYPE_DEFINITION ? 'values' : 'fields';
    const members = definition[key].map((m: any) => {
      if (m.name.value !== member) return m;
      if (!argument) return undescribed(m);
      return { ...m, arguments: m.arguments.map((a: any) => (a.name.value === argument ? undescribed(a) : a)) };
    });
    return { ...definition, [key]: members };
  };
  const edited = visit(parse(sdl), {
    ObjectTypeDefinition: strip,
    InterfaceTypeDefinition: strip,
    InputObjectTypeDefinition: strip,
    EnumTypeDefinition: strip,
    ScalarTypeDefinition: strip,
  } as Record<string, (node: ASTNode) => unknown>) as DocumentNode;
  return buildASTSchema(edited);
}

describe('schema documentation of the API contract', () => {
  const elements = elementsOf(contract, buildSchema(apiSdl));

  it('walks every kind of element the contract has', () => {
    expect(elements.length).toBeGreaterThan(150);
    expect(elements.map((e) => e.coordinate)).toEqual(
      expect.arrayContaining([
        'DateTime',
        'Query.conversations(search:)',
        'Subscription.messageStream(afterSeq:)',
        'MessageStreamEvent.seq',
        'MessageFailed.code',
        'SendMessageInput.clientMessageId',
        'MessageStatus.CANCELLED',
        'Usage.costUsd',
      ]),
    );
  });

  it('finds every contract type, field, argument, input field and enum value in the API schema', () => {
    expect(missing(elements)).toEqual([]);
  });

  it('gives every one of them a description', () => {
    expect(undocumented(elements)).toEqual([]);
  });

  it.each([
    'ConversationConnection',
    'Usage.costUsd',
    'Subscription.messageStream(afterSeq:)',
    'RegisterInput.displayName',
    'MessageStatus.CANCELLED',
  ])('notices when the description of %s is removed', (coordinate) => {
    expect(undocumented(elementsOf(contract, withoutDescription(apiSdl, coordinate)))).toEqual([coordinate]);
  });
});
