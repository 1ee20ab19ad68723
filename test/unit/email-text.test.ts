import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { createRenderer } from '../../src/http/views.ts';

const renderer = createRenderer(fileURLToPath(new URL('../../views', import.meta.url)));

describe('emails: plain text is text, HTML is escaped', () => {
  it('writes apostrophes and angle brackets as they are in the text part, escaped in the HTML part', () => {
    const mail = renderer.renderEmail('password-changed', { name: "D'Arcy <Admin>" }, 'fr');
    expect(mail.text.split('\n')[0]).to.equal("Bonjour D'Arcy <Admin>,");
    expect(mail.text).to.not.include('&#x27;').and.not.include('&lt;');
    expect(mail.html).to.include('D&#x27;Arcy &lt;Admin&gt;');
  });
});
