// kata completion bash|zsh|fish: a completion script for commands and kata ids. Ids come from
// `kata list --ids` at completion time, so new katas complete without regenerating the script.
import { KataError } from '../core/errors.js';
import type { CommandContext } from './context.js';

export const commandNames = ['list', 'start', 'test', 'watch', 'hint', 'progress', 'next', 'reset', 'solution', 'doctor', 'completion', 'verify'];
const takesId = ['start', 'test', 'watch', 'hint', 'reset', 'solution', 'verify'];

const scripts: Record<string, () => string> = {
  bash: () => `# kata completion for bash: add  eval "$(kata completion bash)"  to ~/.bashrc
_kata_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commandNames.join(' ')}" -- "$cur") )
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
      ${takesId.join('|')}) COMPREPLY=( $(compgen -W "$(kata list --ids 2>/dev/null)" -- "$cur") ) ;;
      completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ) ;;
    esac
  fi
}
complete -F _kata_complete kata
`,
  zsh: () => `#compdef kata
# kata completion for zsh: add  eval "$(kata completion zsh)"  to ~/.zshrc (after compinit)
_kata() {
  if (( CURRENT == 2 )); then
    compadd -- ${commandNames.join(' ')}
  elif (( CURRENT == 3 )); then
    case "$words[2]" in
      ${takesId.join('|')}) compadd -- \${(f)"$(kata list --ids 2>/dev/null)"} ;;
      completion) compadd -- bash zsh fish ;;
    esac
  fi
}
compdef _kata kata
`,
  fish: () => `# kata completion for fish: kata completion fish > ~/.config/fish/completions/kata.fish
complete -c kata -f
complete -c kata -n "__fish_use_subcommand" -a "${commandNames.join(' ')}"
complete -c kata -n "__fish_seen_subcommand_from ${takesId.join(' ')}" -a "(kata list --ids 2>/dev/null)"
complete -c kata -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"
`,
};

export async function completion(ctx: CommandContext, shell: string): Promise<number> {
  const script = scripts[shell];
  if (!script) {
    throw new KataError(`no completion for shell "${shell}"; kata knows bash, zsh and fish`, { code: 'BAD_OPTION', hint: 'kata completion bash' });
  }
  ctx.out.line(script().trimEnd());
  return 0;
}
