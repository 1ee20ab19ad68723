import Router from '@koa/router';
import type { Database } from '../store/database.ts';
import { OutboxMessageEntity } from '../store/entities/index.ts';
import type { Renderer } from './views.ts';

/**
 * /dev/outbox: the emails, SMS and calls Latchkey would have sent, newest first. Only
 * mounted outside production, when SMTP_URL or the Twilio settings are missing. JSON with Accept: application/json.
 */
export function createDevOutboxRouter(db: Database, renderer: Renderer): Router {
  const router = new Router({ prefix: '/dev/outbox' });
  router.get('/', async (ctx) => {
    const to = typeof ctx.query.to === 'string' ? ctx.query.to.toLowerCase() : undefined;
    const rows = await db.em().find(OutboxMessageEntity, to ? { recipient: to } : {}, { orderBy: { createdAt: 'desc' }, limit: 50 });
    const messages = rows.map((m) => ({
      id: m.id,
      channel: m.channel,
      to: m.recipient,
      subject: m.subject,
      text: m.text,
      createdAt: m.createdAt.toISOString(),
    }));
    ctx.set('Cache-Control', 'no-store');
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = { messages };
      return;
    }
    ctx.type = 'html';
    ctx.body = renderer.render('dev-outbox', { title: 'Dev outbox', messages }, ctx.state.locale);
  });
  return router;
}
