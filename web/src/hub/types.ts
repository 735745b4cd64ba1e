// The Hub API's shapes, as docs/hub-api.md describes them and as the running server answers (checked with curl).

export type Role = 'admin' | 'member';

export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** false until an invite link was used: the member was invited but has not joined yet. */
  has_password: boolean;
  created_at: string;
}

export interface SessionAnswer {
  member: Member;
  csrf_token: string;
  expires_at: string;
}

export type ProjectStatus = 'active' | 'completed';

export interface Project {
  id: string;
  name: string;
  status: ProjectStatus;
  member_ids: string[];
  created_at: string;
  updated_at: string;
}

export type IntegrationView =
  | { configured: false }
  | {
      configured: true;
      /** `built-in` for this server's own engine. */
      base_url: string;
      built_in: boolean;
      api_key: string;
      /** The server answers a number (e.g. 1000001); null when none was given. */
      app_id: number | null;
      /** Masked: `••••` and the last four characters. Never the secret. */
      api_secret: string;
    };

export type IntegrationTestCode =
  | 'connected'
  | 'wrong_api_key'
  | 'wrong_secret'
  | 'app_id_mismatch'
  | 'unreachable'
  | 'not_stream_api'
  | 'refused'
  | 'invalid_url'
  | 'no_built_in_engine';

export interface IntegrationTest {
  code: IntegrationTestCode | (string & {});
  message: string;
  app_name: string | null;
  connected: boolean;
}

export interface IntegrationInput {
  /** Absent: the stored one. `built-in` for this server's engine. */
  base_url?: string;
  api_key: string;
  /** Absent: the stored one. */
  api_secret?: string;
  app_id?: number;
}

export interface IntegrationSaveAnswer {
  saved: boolean;
  test: IntegrationTest;
  integration: IntegrationView;
}

export interface ChatSession {
  api_key: string;
  base_url: string;
  user_id: string;
  token: string;
  expires_at: string;
}

export type ProvisioningState = 'never_run' | 'not_connected' | 'ok' | 'failed';

export interface Provisioning {
  state: ProvisioningState;
  started_at?: string | null;
  finished_at?: string | null;
  members?: number | null;
  projects?: number | null;
  changes?: Record<string, number> | null;
  failed_step?: string | null;
  error?: string | null;
}

export interface FlaggedMessage {
  message_id: string;
  text: string;
  author_id: string;
  author_name: string | null;
  channel_cid: string;
  reasons: string[];
  flag_count: number;
  last_flagged_at: string;
}

/** One moderation action: the body of `POST /hub/api/moderation/actions` (flat, tagged by `action`). */
export type ModerationAction =
  | { action: 'dismiss'; message_id: string }
  | { action: 'delete_message'; message_id: string }
  | { action: 'mute'; user_id: string; channel_cid: string; minutes: number; reason?: string }
  | { action: 'unmute'; user_id: string; channel_cid: string }
  | { action: 'ban'; user_id: string; reason?: string }
  | { action: 'unban'; user_id: string }
  | { action: 'archive'; channel_cid: string }
  | { action: 'unarchive'; channel_cid: string };

export interface AuditEntry {
  at: string;
  /** `member:EMAIL` or `cli`. */
  actor: string;
  action: string;
  target: string;
  /** `ok` or `refused: CODE`. */
  result: string;
}

export type UsageLevel = 'fine' | 'warning' | 'full';

export interface UsageMeter {
  count: number;
  /** null: the plan sets no limit. */
  limit: number | null;
  level: UsageLevel;
}

export interface Usage {
  plan: string;
  month: string;
  /** true: the Hub's own estimate (the backend has no usage API). */
  estimate: boolean;
  monthly_active_users: UsageMeter;
  /** null: the backend does not report messages. */
  messages: UsageMeter | null;
}

export interface PushSettings {
  enabled: boolean;
  firebase: { configured: boolean; project_id: string | null; client_email: string | null };
  apns: {
    configured: boolean;
    key_id: string | null;
    team_id: string | null;
    bundle_id: string | null;
    development: boolean | null;
  };
}

export interface PushInput {
  enabled: boolean;
  /** The service account's JSON text; absent keeps the stored one. */
  firebase_credentials?: string;
  apns?: { p8?: string; key_id: string; team_id: string; bundle_id: string; development: boolean };
}

export interface PushTestResult {
  message_id: string | null;
  failures: { device_id: string; provider: string; error: string }[];
  general_errors: string[];
  rendered_apn: string | null;
  rendered_firebase: string | null;
}
