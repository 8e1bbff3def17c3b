/**
 * The four example events of the platform's event reference (seed
 * `../shared/seeds/003_230c807d4d0b0d12.txt`), with the punctuation the capture lost restored:
 * field names with underscores, UUIDs with dashes, the e-mail address with its dots, event types
 * and event ids with underscores. Free text (titles, reply texts, the client's name) is kept as
 * captured — lower case, and a space where a full stop was — because its original spelling
 * cannot be known and these are fixtures, not guesses.
 *
 * Note the seed's own quirks, kept on purpose: every reply is an agent reply
 * (`is_client_reply: false`), even the ticket's opening message, and the two replies written at
 * creation share one second.
 */
import type { WhitelabelEventPayload } from './events';
import type { WhitelabelClientRecord } from './store';

const SEED_CLIENT: WhitelabelClientRecord = {
  id: '3463a4ee-5eba-45cd-9ef9-3f3a0f64329e',
  name: 'james doe',
  email: 'client.doe@plugnpaid.com',
};

const SEED_ENDPOINT_ID = '9ab698f5-99de-4ff6-8bfc-a7dcb973d177';

export const SEED_TICKET_CREATED: WhitelabelEventPayload = {
  event_id: 'whev_o48n74r1vsv642vex',
  event_type: 'whitelabel_ticket_created',
  api_version: 2,
  object: 'event',
  data: {
    ticket: {
      id: 'fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1',
      title: 'help with account',
      is_open: true,
      object: 'ticket',
      created_at: 1671472527,
      updated_at: 1671472527,
      client: { ...SEED_CLIENT },
      teammate_id: null,
      replies: [
        {
          id: '5a09992e-1e49-4dac-a731-26af2aee10ae',
          text: 'the client is having issues with the billing settings ',
          is_client_reply: false,
          created_at: 1671472527,
          assets: null,
        },
        {
          id: '39634217-9aa9-4a3c-8354-ef4bc2b9b08f',
          text: 'thanks for contacting our support an agent will be with you shortly ',
          is_client_reply: false,
          created_at: 1671472527,
          assets: null,
        },
      ],
      category: 'general support',
      subcategory: null,
      language: 'en',
    },
  },
  endpoint_id: SEED_ENDPOINT_ID,
};

export const SEED_TICKET_UPDATED: WhitelabelEventPayload = {
  event_id: 'whev_o49pxqxd3bv642zyk',
  event_type: 'whitelabel_ticket_updated',
  api_version: 2,
  object: 'event',
  data: {
    ticket: {
      id: 'fbaddbf8-e290-4fa4-a3ed-fbb4837dabe1',
      title: 'help with account',
      is_open: true,
      object: 'ticket',
      created_at: 1671472527,
      updated_at: 1671474890,
      client: { ...SEED_CLIENT },
      teammate_id: null,
      replies: [
        {
          id: '5a09992e-1e49-4dac-a731-26af2aee10ae',
          text: 'the client is having issues with the billing settings ',
          is_client_reply: false,
          created_at: 1671472527,
          assets: null,
        },
        {
          id: '39634217-9aa9-4a3c-8354-ef4bc2b9b08f',
          text: 'thanks for contacting our support an agent will be with you shortly ',
          is_client_reply: false,
          created_at: 1671472527,
          assets: null,
        },
        {
          id: '335ec843-395a-422c-aa61-2adef10ecf1a',
          text: 'your request is under investigation we will provide an update as soon as possible ',
          is_client_reply: false,
          created_at: 1671474890,
          assets: null,
        },
      ],
      category: 'general support',
      subcategory: null,
      language: 'en',
    },
    reply: {
      id: '335ec843-395a-422c-aa61-2adef10ecf1a',
      text: 'your request is under investigation we will provide an update as soon as possible ',
      is_client_reply: false,
      created_at: 1671474890,
      assets: null,
    },
  },
  endpoint_id: SEED_ENDPOINT_ID,
};

export const SEED_TICKET_RESOLVED: WhitelabelEventPayload = {
  event_id: 'whev_ydxpy1n9whgqkxm3q',
  event_type: 'whitelabel_ticket_resolved',
  api_version: 2,
  object: 'event',
  data: {
    ticket: {
      id: '8dc1869d-0a0b-4c78-b40c-5b25bfa337eb',
      title: 'help with account',
      is_open: false,
      object: 'ticket',
      created_at: 1671462259,
      updated_at: 1671476296,
      client: { ...SEED_CLIENT },
      teammate_id: null,
      replies: [
        {
          id: 'e6618a50-c0b6-49e9-8565-7b42e2027392',
          text: 'the client is having issues with the billing settings ',
          is_client_reply: false,
          created_at: 1671462260,
          assets: null,
        },
        {
          id: '7dbc6406-3f5d-4c1e-b3d6-88cbc464c8d7',
          text: 'thanks for contacting our support an agent will be with you shortly ',
          is_client_reply: false,
          created_at: 1671462260,
          assets: null,
        },
      ],
      category: 'general support',
      subcategory: null,
      language: 'en',
    },
  },
  endpoint_id: SEED_ENDPOINT_ID,
};

export const SEED_TICKET_ASSIGNED: WhitelabelEventPayload = {
  event_id: 'whev_d8egm7pgoure9gz7g',
  event_type: 'whitelabel_ticket_assigned',
  api_version: 2,
  object: 'event',
  data: {
    ticket: {
      id: '46b1408f-190d-4ecc-8b65-302e4378497e',
      title: 'help with account',
      is_open: true,
      object: 'ticket',
      created_at: 1671461220,
      updated_at: 1671477774,
      client: { ...SEED_CLIENT },
      teammate_id: 'b3a1e4db-8d71-4f2e-8c14-1038bab6e3ac',
      replies: [
        {
          id: '3f090668-bd89-4582-a91d-960d4bf87d48',
          text: 'help with account',
          is_client_reply: false,
          created_at: 1671461220,
          assets: null,
        },
        {
          id: '4bb4e3b0-7ca7-415e-8a17-c07ddc29a87f',
          text: 'thanks for contacting our support an agent will be with you shortly ',
          is_client_reply: false,
          created_at: 1671461220,
          assets: null,
        },
      ],
      category: 'general support',
      subcategory: null,
      language: 'en',
    },
  },
  endpoint_id: SEED_ENDPOINT_ID,
};

/** In the seed's order: created, updated, resolved, assigned. */
export const SEED_EVENTS: readonly WhitelabelEventPayload[] = [
  SEED_TICKET_CREATED,
  SEED_TICKET_UPDATED,
  SEED_TICKET_RESOLVED,
  SEED_TICKET_ASSIGNED,
];
