/** A chat Message as models knows one: only its key. */
export interface MessageReference {
  id: string;
}
