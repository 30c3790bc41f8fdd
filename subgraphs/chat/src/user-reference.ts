/** A User as chat knows one: only its key. The users subgraph resolves the rest. */
export interface UserReference {
  __typename?: 'User';
  id: string;
}
