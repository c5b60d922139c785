/**
 * Who is signed in, from the edge's GET /api/session. An edge with auth answers 401 until the
 * person signs in (POST /api/login sets an HttpOnly cookie the page itself never reads); an edge
 * in single-user mode answers at once with the local admin.
 */
export type SessionState = 'checking' | 'signed-out' | 'signed-in' | 'unreachable';

interface SessionAnswer {
  user: string;
  role: 'viewer' | 'trader' | 'admin';
  auth: boolean;
  signIn: boolean;
}

class Session {
  state = $state<SessionState>('checking');
  user = $state('');
  role = $state<SessionAnswer['role']>('viewer');
  /** The edge needs sign-in (false: single-user mode). */
  auth = $state(false);
  /** Why the last sign-in or check failed, as the edge said it. */
  problem = $state('');

  get canEditAlerts(): boolean {
    return this.role === 'trader' || this.role === 'admin';
  }

  async check(): Promise<SessionState> {
    try {
      const response = await fetch('/api/session', { headers: { Accept: 'application/json' } });
      if (response.status === 401) {
        const body = (await response.json().catch(() => ({}))) as { error?: string };
        this.state = 'signed-out';
        // A missing token is the normal first visit; an expired one is worth saying.
        this.problem = body.error && !/needs a token/.test(body.error) ? body.error : '';
      } else if (response.ok) {
        const body = (await response.json()) as SessionAnswer;
        this.user = body.user;
        this.role = body.role;
        this.auth = body.auth;
        this.state = 'signed-in';
        this.problem = '';
      } else {
        this.state = 'unreachable';
        this.problem = `the edge answered ${response.status} to /api/session`;
      }
    } catch (error) {
      this.state = 'unreachable';
      this.problem = `the edge is unreachable (${(error as Error).message})`;
    }
    return this.state;
  }

  /** Signs in; resolves with '' or the edge's reason for refusing. */
  async signIn(user: string, password: string): Promise<string> {
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      this.problem = body.error ?? `sign-in failed (${response.status})`;
      return this.problem;
    }
    await this.check();
    return this.state === 'signed-in' ? '' : this.problem;
  }

  async signOut(): Promise<void> {
    await fetch('/api/logout', { method: 'POST' }).catch(() => {});
    this.state = 'signed-out';
    this.user = '';
    this.problem = '';
  }
}

export const session = new Session();
