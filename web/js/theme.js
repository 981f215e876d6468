// Light and dark themes. The default follows the system's prefers-color-scheme; the toggle
// cycles auto, light and dark and keeps the choice in localStorage.

const STORAGE_KEY = 'winebot.theme';
const CHOICES = ['auto', 'light', 'dark'];
const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

function storedChoice() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return CHOICES.includes(value) ? value : 'auto';
  } catch {
    return 'auto'; // storage can be disabled
  }
}

// The theme in effect: 'light' or 'dark'.
export function currentTheme() {
  const choice = document.documentElement.dataset.theme ?? 'auto';
  if (choice === 'auto') {
    return darkQuery.matches ? 'dark' : 'light';
  }
  return choice;
}

function apply(choice, button) {
  document.documentElement.dataset.theme = choice;
  button.textContent = `Theme: ${choice}`;
  button.setAttribute('aria-label', `Colour theme: ${choice}. Press to change.`);
  document.dispatchEvent(new CustomEvent('themechange', { detail: currentTheme() }));
}

export function setUpTheme(button) {
  apply(storedChoice(), button);
  button.addEventListener('click', () => {
    const current = document.documentElement.dataset.theme ?? 'auto';
    const next = CHOICES[(CHOICES.indexOf(current) + 1) % CHOICES.length];
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // the choice then lasts for this page only
    }
    apply(next, button);
  });
  darkQuery.addEventListener('change', () => apply(storedChoice(), button));
}
