/**
 * One sandbox "play" route: parse the body (400 naming the field), act as the end user, the
 * agent or the platform, answer the result (404 when the simulator knows no such ticket).
 */
import type express from 'express';
import type { z } from 'zod';

export type Act<T> = (body: T, params: Record<string, string>) => Promise<unknown>;

export function play<T>(schema: z.ZodType<T>, act: Act<T>): express.RequestHandler {
  return async (req, res) => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({
        error: 'invalid_request',
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
      return;
    }
    try {
      res.status(200).json((await act(parsed.data, req.params as Record<string, string>)) ?? { ok: true });
    } catch (err) {
      res.status(404).json({ error: 'not_found', message: (err as Error).message });
    }
  };
}
