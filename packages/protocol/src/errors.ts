import { Type, type Static } from 'typebox';

/**
 * The one error shape every Voxgate HTTP route answers with, `/api` and `/v1` alike
 * (it is also the shape the OpenAI SDK parses). `code` is stable and machine-readable;
 * `message` is for people and never carries a stack or a secret.
 */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    /** OpenAI's error `type`, for `/v1` clients that read it. */
    type: Type.Optional(Type.String()),
    /** The request id, so a user can quote it and an operator can find the log lines. */
    requestId: Type.Optional(Type.String()),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;
