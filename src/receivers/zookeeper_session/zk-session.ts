/** The probe's session is the shared hardened client (src/receivers/zkclient/), under the name this receiver uses. */
export { CREATOR_ALL_ACL, OPEN_ACL, ZkClient as ZkSession, ZkError, type SessionState } from '../zkclient/client.js';
