import { createHash } from 'node:crypto';

/** Ids under which a client's usage is counted and logged: digests, never its key or address. */
const digest = (basis: string) => createHash('sha256').update(basis).digest('hex').slice(0, 24);

/** A client that sent a valid API key (given as that key's digest): the key is the client. */
export const clientIdOfKey = (keyDigest: Buffer): string => digest(`key:${keyDigest.toString('hex')}`);

/** A client without a key: its address (the forwarded one behind a trusted proxy). */
export const clientIdOfAddress = (address: string): string => digest(`ip:${address}`);
