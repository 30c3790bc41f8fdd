import DataLoader from 'dataloader';
import type { User } from './entities/user';
import type { UserDirectory } from './user-directory';

/** Batches every User lookup of one request into one query (federation `_entities` asks for many at once). */
export function createUserLoader(directory: UserDirectory): DataLoader<string, User | null> {
  return new DataLoader(async (ids) => {
    const users = await directory.findByIds(ids);
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
