// @sharedstate/session-core/adapter: what a framework adapter is made of (see CONTRIBUTING.md, "Writing an
// adapter"). Apps use the package's main entry, which every adapter re-exports.
export { readAdapterFlags } from './adapter-options.ts';
export { createPropertySession } from './property-session.ts';
export {
  type Callback,
  callBack,
  callbackOf,
  createPropertyView,
  PropertyView,
  VIEW,
  type ViewState,
} from './property-view.ts';
export { SessionHandler } from './session-handler.ts';
export type { SessionReceiver } from './session-receiver.ts';
export { forwardedProto, type SessionRequest, type SessionResponseHeaders } from './session-request.ts';
export { SESSION_SLOT, sessionIn } from './session-slot.ts';
export type { SessionState } from './session-state.ts';
