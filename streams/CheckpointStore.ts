/** One checkpoint in a store. */
export interface CheckpointEntry {
  /** Its name in the store (a file path, an object name): what `read` takes and messages show. */
  readonly name: string;
  /** The step it was taken after. */
  readonly step: number;
}

/**
 * Where `checkpoint` keeps a run's checkpoints and `resumeFrom` finds them: the local disk
 * (`fileCheckpoints(dir)`, what `checkpoint({ dir })` uses) or a NATS Object Store
 * (`natsCheckpoints`), so a run can restart on another machine.
 *
 * 1. `open()` runs when a run starts (create the folder, remove what an interrupted write left).
 * 2. `write(step, content, keep)` stores `content` (`encodeCheckpoint`: JSON and SHA-256 lines)
 *    as the checkpoint of `step`, then keeps only the `keep` newest up to it and removes those of
 *    later steps (`outdated`). It is atomic: a crash leaves the previous checkpoints or the new
 *    complete one. A synchronous store returns the name once the write is durable; an
 *    asynchronous one returns a promise that resolves then (and rejects if it is not).
 * 3. `list()` gives the checkpoints oldest first; `read(name)` the content of one (rejecting if
 *    it cannot be read; `decodeCheckpoint` verifies it).
 * 4. `close()` releases what it holds (a connection; the next use opens it again).
 *
 * @example
 * checkpoint({ store: natsCheckpoints({ servers: 'nats://127.0.0.1:4222', key: 'elec2' }), params: model.params, everySteps: 100 });
 */
export interface CheckpointStore {
  /** Where the checkpoints are, for messages (`ckpt`, `nats object store "rxgrad-checkpoints"`). */
  readonly where: string;
  open(): void;
  write(step: number, content: string, keep: number): string | Promise<string>;
  list(): Promise<readonly CheckpointEntry[]>;
  read(name: string): Promise<string>;
  close(): Promise<void>;
}
