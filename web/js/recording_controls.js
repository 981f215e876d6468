// Recording buttons of the node page and the admin login they need. Actions go to
// POST /api/nodes/{id}/recording/{action}, and the hub accepts them with the HttpOnly session
// cookie that POST /api/login sets, so this page keeps no copy of the token.

import { postJson } from './api.js';
import { byId, setText } from './dom.js';

// The cookie is unreadable from scripts, so the page remembers for this tab that a login
// succeeded; a 401 from the hub clears it.
const LOGGED_IN_KEY = 'winebot.admin-session';

function rememberLogin(loggedIn) {
  try {
    if (loggedIn) {
      sessionStorage.setItem(LOGGED_IN_KEY, '1');
    } else {
      sessionStorage.removeItem(LOGGED_IN_KEY);
    }
  } catch {
    // without storage the form shows again after a reload
  }
}

function loginRemembered() {
  try {
    return sessionStorage.getItem(LOGGED_IN_KEY) === '1';
  } catch {
    return false;
  }
}

export class RecordingControls {
  constructor() {
    this.nodeId = null;
    this.result = byId('action-result');
    this.form = byId('login-form');
    this.tokenInput = byId('login-token');
    this.loginResult = byId('login-result');
    this.logoutButton = byId('logout');
    this.buttons = [...byId('recording-actions').querySelectorAll('button[data-action]')];
    for (const button of this.buttons) {
      button.addEventListener('click', () => this.run(button.dataset.action));
    }
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.login();
    });
    this.logoutButton.addEventListener('click', () => this.logout());
    this.showLogin(!loginRemembered());
  }

  setNode(nodeId) {
    this.nodeId = nodeId;
    setText(this.result, '');
  }

  showLogin(visible) {
    this.form.hidden = !visible;
    this.logoutButton.hidden = visible;
  }

  async run(action) {
    const nodeId = this.nodeId;
    for (const button of this.buttons) {
      button.disabled = true;
    }
    setText(this.result, `Sending ${action}…`);
    const path = `/api/nodes/${encodeURIComponent(nodeId)}/recording/${action}`;
    const result = await postJson(path, action === 'start' ? {} : undefined);
    for (const button of this.buttons) {
      button.disabled = false;
    }
    if (nodeId !== this.nodeId) {
      return; // the page moved to another node meanwhile
    }
    if (result.status === 401) {
      rememberLogin(false);
      this.showLogin(true);
      setText(this.result, `${action} needs an admin login: ${result.detail}`);
      return;
    }
    if (!result.ok) {
      setText(this.result, `${action} failed: HTTP ${result.status}, ${result.detail}`);
      return;
    }
    const body = result.body;
    const status = body.response?.status ?? body.response?.detail ?? 'no status';
    setText(this.result, `${action}: the node replied HTTP ${body.status_code}, ${status}`);
  }

  async login() {
    setText(this.loginResult, 'Logging in…');
    const result = await postJson('/api/login', { token: this.tokenInput.value });
    this.tokenInput.value = '';
    if (!result.ok) {
      setText(this.loginResult, `Login failed: ${result.detail}`);
      return;
    }
    rememberLogin(true);
    this.showLogin(false);
    setText(this.loginResult, '');
    setText(this.result, 'Logged in: recording actions are enabled.');
    this.buttons[0].focus();
  }

  async logout() {
    await postJson('/api/logout');
    rememberLogin(false);
    this.showLogin(true);
    setText(this.result, 'Logged out.');
  }
}
