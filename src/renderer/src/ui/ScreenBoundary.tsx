/**
 * An error boundary around one screen: a screen that throws while rendering shows what failed and a Retry,
 * and the rest of the shell (navigation, alarm banner, status bar) keeps working. The error is also logged
 * to the console, where a developer (and the end-to-end suite) sees it.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** the screen's name, shown in the message */
  name: string;
  /** one line instead of a panel (the alarm banner, the status bar) */
  compact?: boolean;
  children: ReactNode;
}
interface State {
  error: Error | null;
  /** bumped by Retry: the screen mounts afresh (its effects load their data again) */
  attempt: number;
}

export class ScreenBoundary extends Component<Props, State> {
  override state: State = { error: null, attempt: 0 };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`The ${this.props.name} screen failed:`, error, info.componentStack);
  }

  private retry = () => this.setState((s) => ({ error: null, attempt: s.attempt + 1 }));

  override render(): ReactNode {
    const { error, attempt } = this.state;
    if (error && this.props.compact) {
      return (
        <div className="boundary-compact" role="alert" aria-label={`${this.props.name} failed`}>
          ✕ The {this.props.name} failed: <code>{error.message || error.name}</code>{' '}
          <button type="button" onClick={this.retry}>
            Retry
          </button>
        </div>
      );
    }
    if (error) {
      return (
        <section className="screen screen-failed" role="alert" aria-label={`${this.props.name} failed`}>
          <h1>✕ The {this.props.name} screen failed</h1>
          <p>
            It stopped with: <code data-testid="screen-error">{error.message || error.name}</code>
          </p>
          <p>The alarm banner, the navigation and the other screens keep working.</p>
          <button type="button" className="primary" onClick={this.retry}>
            Retry
          </button>
        </section>
      );
    }
    return <ScreenAttempt key={attempt}>{this.props.children}</ScreenAttempt>;
  }
}

function ScreenAttempt({ children }: { children: ReactNode }) {
  return <>{children}</>;
}
