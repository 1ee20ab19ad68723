/** What a transport (Twilio, the dev outbox) is handed once the sender has checked the input. */
export interface PhoneTransport {
  sendSms(to: string, body: string): Promise<{ sid: string }>;
  placeCall(to: string, spoken: SpokenCode): Promise<{ sid: string }>;
}

export interface SpokenCode {
  /** the whole text read to the callee, e.g. "Your Latchkey code is 1, 2, 3. Again: 1, 2, 3." */
  text: string;
  first: string;
  again: string;
  /** the <Say> language, and for languages other than English a voice that speaks it */
  language: string;
  voice?: string;
}
