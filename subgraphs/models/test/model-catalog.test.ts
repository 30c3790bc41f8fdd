import { createManualClock, postToSubgraph, startSubgraphUnderTest, type SubgraphUnderTest } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_REFRESH_MS } from '../src/model-catalog';
import { modelsSubgraph, type ModelsService } from '../src/server';

const MODELS = 'query { models { id displayName } }';

describe('the model catalog', () => {
  const clock = createManualClock();
  let subgraph: SubgraphUnderTest<ModelsService>;

  beforeAll(async () => {
    subgraph = await startSubgraphUnderTest(modelsSubgraph, { databaseServerUrl: process.env.DATABASE_URL, clock });
  });
  afterAll(() => subgraph?.stop());

  const displayNames = async () => {
    const { body } = await postToSubgraph<{ models: { id: string; displayName: string }[] }>(subgraph, MODELS);
    expect(body.errors).toBeUndefined();
    return new Map(body.data!.models.map((m) => [m.id, m.displayName]));
  };

  it('answers from what it read last, and sees a change to the table within CATALOG_REFRESH_MS', async () => {
    const before = await displayNames();
    const [id, name] = [...before][0]!;
    await subgraph.orm.em
      .getConnection()
      .execute(`update "models"."model" set "display_name" = ? where "id" = ?`, [`${name} (renamed)`, id]);

    clock.advance(CATALOG_REFRESH_MS - 1);
    expect((await displayNames()).get(id)).toBe(name);

    clock.advance(1);
    expect((await displayNames()).get(id)).toBe(`${name} (renamed)`);
    // Every model is still listed, in id order.
    expect([...(await displayNames()).keys()]).toEqual([...before.keys()].sort());
  });
});
