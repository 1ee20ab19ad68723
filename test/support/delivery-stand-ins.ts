import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { deliveryEnv, startTwilioStandIn, testTwilioCredentials, type TwilioStandIn } from './twilio-standin.ts';

export interface DeliveryStandIns {
  smtp: SmtpSink;
  twilio: TwilioStandIn;
  /** the server settings that send email to the sink and SMS and calls to the stand-in */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** a real SMTP server and a Twilio stand-in, for tests that read the codes Latchkey sends */
export async function startDeliveryStandIns(): Promise<DeliveryStandIns> {
  const credentials = testTwilioCredentials();
  const smtp = await startSmtpSink();
  const twilio = await startTwilioStandIn(credentials);
  return {
    smtp,
    twilio,
    env: deliveryEnv(smtp.url, twilio, credentials),
    async close() {
      await smtp.close();
      await twilio.close();
    },
  };
}
